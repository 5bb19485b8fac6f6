"""The task rows' model (docs/benchmarks.md, "What a task's own row costs"): pgbench runs one
station task's three writes (queued, claimed, completed; 32 tasks a statement, a transaction a
step) on three designs of its table, alternated, and prints for each run the tasks a second and
PostgreSQL's CPU a task. PostgreSQL's CPU is read from /proc, so the server must run on this
machine. Standard library only."""
import argparse, json, os, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
HZ = os.sysconf('SC_CLK_TCK')
DESIGNS = {'a': 'today: the wide row written three times through its nine indexes',
           'b': 'narrow queue and lease tables, the wide row updated in place',
           'c': 'today without the indexes of open tasks by track and of tasks by project'}


def postgres_cpu_seconds():
    """Every postgres process's CPU, and the exited backends' (counted to the postmaster, their parent)."""
    procs = {}
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            stat = open(f'/proc/{pid}/stat').read()
        except OSError:
            continue
        name = stat[stat.index('(') + 1:stat.rindex(')')]
        f = stat[stat.rindex(')') + 2:].split()
        if name.startswith('postgres'):
            procs[pid] = (f[1], int(f[11]) + int(f[12]), int(f[13]) + int(f[14]))
    total = 0
    for pid, (ppid, own, children) in procs.items():
        total += own + (children if ppid not in procs else 0)
    return total / HZ


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--rounds', type=int, default=2)
    p.add_argument('--seconds', type=int, default=20)
    p.add_argument('--clients', type=int, default=8)
    p.add_argument('--designs', default='a,b,c')
    a = p.parse_args()
    conn = ['-h', os.environ.get('PGHOST', '127.0.0.1'), '-p', os.environ.get('PGPORT', '5432'), '-U', os.environ.get('PGUSER', 'postgres')]
    db = 'pl_task_rows'

    def sql(q, database=db):
        return subprocess.run(['psql', '-X', '-q', '-At', *conn, '-d', database, '-c', q], check=True, capture_output=True, text=True).stdout.strip()

    # C runs A's script on its own table.
    scripts = {'a': os.path.join(HERE, 'a.sql'), 'b': os.path.join(HERE, 'b.sql')}
    with open(scripts['a']) as f:
        c = tempfile.NamedTemporaryFile('w', suffix='.sql', delete=False)
        c.write(f.read().replace('st_a', 'st_c'))
        c.close()
    scripts['c'] = c.name

    def pgbench(design, *args):
        return subprocess.run(['pgbench', '-n', *conn, *args, '-f', scripts[design], db], capture_output=True, text=True)

    sql(f'DROP DATABASE IF EXISTS {db}', 'postgres')
    sql(f'CREATE DATABASE {db}', 'postgres')
    try:
        subprocess.run(['psql', '-X', '-q', *conn, '-d', db, '-v', 'ON_ERROR_STOP=1', '-f', os.path.join(HERE, 'schema.sql')],
                       check=True, capture_output=True)
        runs = []
        for _ in range(a.rounds):
            for d in a.designs.split(','):
                sql('TRUNCATE st_a, st_b, st_c, queue_b, lease_b')
                sql('CHECKPOINT')
                # A table with a history: 19,200 completed tasks first, then its statistics.
                pgbench(d, '-c', '2', '-t', '300')
                sql(f'ANALYZE st_{d}' + ('; ANALYZE queue_b; ANALYZE lease_b' if d == 'b' else ''))
                done0 = int(sql(f"SELECT count(*) FROM st_{d} WHERE status = 'completed'"))
                cpu0 = postgres_cpu_seconds()
                r = pgbench(d, '-c', str(a.clients), '-j', '2', '-T', str(a.seconds))
                time.sleep(0.5)
                cpu1 = postgres_cpu_seconds()
                done = int(sql(f"SELECT count(*) FROM st_{d} WHERE status = 'completed'")) - done0
                hot = sql(f"SELECT n_tup_upd || ' ' || n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'st_{d}'").split()
                run = {'design': d, 'what': DESIGNS[d], 'tasks_per_s': round(done / a.seconds),
                       'postgres_cpu_ms_per_task': round((cpu1 - cpu0) * 1000 / max(done, 1), 4),
                       'wide_row_hot_update_share': round(int(hot[1]) / max(int(hot[0]), 1), 2), 'pgbench_ok': r.returncode == 0}
                runs.append(run)
                print(json.dumps(run), file=sys.stderr, flush=True)
        summary = {}
        for d in a.designs.split(','):
            mine = [r['postgres_cpu_ms_per_task'] for r in runs if r['design'] == d]
            summary[d] = {'postgres_cpu_ms_per_task_mean': round(sum(mine) / len(mine), 4),
                          'tasks_per_s_mean': round(sum(r['tasks_per_s'] for r in runs if r['design'] == d) / len(mine))}
        print(json.dumps({'runs': runs, 'mean': summary}, indent=2))
    finally:
        os.unlink(c.name)
        sql(f'DROP DATABASE IF EXISTS {db}', 'postgres')


if __name__ == '__main__':
    main()
