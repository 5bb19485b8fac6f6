// The SockJS event-bus bridge (vendor/vertx-eventbus.js sets the global EventBus).
// Subscriptions survive reconnects: they are registered again on every open. Commands are
// request/reply sends that resolve with the reply body or reject with a Refusal-like object.

const COMMAND_WAIT_MS = 15_000;

/** Why a command was not accepted: `code` is the bus reply code (409, …) when there is one. */
export class CommandRefused {
  constructor(message, code) {
    this.message = message;
    this.code = code;
  }
}

export class Bridge {
  /**
   * @param {object} opts
   * @param {() => string|null} opts.token      current operator token
   * @param {(state: string) => void} opts.onState   connecting | live | reconnecting | refused
   * @param {(reconnected: boolean) => void} opts.onOpen
   * @param {(reason: string) => void} opts.onRefused  the bridge refused a registration
   */
  constructor({ token, onState, onOpen, onRefused }) {
    this.token = token;
    this.onState = onState;
    this.onOpen = onOpen;
    this.onRefused = onRefused;
    this.subs = new Map();      // address -> bridge callback
    this.waiting = new Set();   // commands awaiting a reply, oldest first
    this.everOpened = false;
    this.eb = null;
  }

  headers() {
    const t = this.token();
    return t ? { token: t } : {};
  }

  get live() {
    return !!this.eb && this.eb.state === window.EventBus.OPEN;
  }

  connect() {
    if (typeof window.EventBus !== 'function') {
      this.onState('refused');
      this.onRefused('the event-bus client did not load');
      return;
    }
    // The connection itself carries the token too (?token=, kept by SockJS on every transport
    // URL): the server lets no one open the bridge without one. Frames still send it as a header.
    const t = this.token();
    const eb = new window.EventBus(t ? `/eventbus?token=${encodeURIComponent(t)}` : '/eventbus', {});
    this.eb = eb;
    eb.enableReconnect(true);
    this.onState(this.everOpened ? 'reconnecting' : 'connecting');

    eb.onopen = () => {
      if (this.eb !== eb) return;
      for (const [address, cb] of this.subs) eb.registerHandler(address, this.headers(), cb);
      const reconnected = this.everOpened;
      this.everOpened = true;
      this.onState('live');
      this.onOpen(reconnected);
    };
    eb.onclose = () => {
      if (this.eb !== eb) return;
      this.dropWaiting('the bridge closed before the line answered');
      this.onState(this.everOpened ? 'reconnecting' : 'connecting');
    };
    // Frames no handler claims. Those of type "err" carry no address: the bridge refused a
    // send or a registration (bodies such as access_denied, rejected, not_logged_in).
    eb.onunhandled = (frame) => {
      if (this.eb !== eb || !frame || frame.type !== 'err') return;
      this.refusal(frame);
    };
  }

  /** Close and open again (after the token changed). */
  restart() {
    const old = this.eb;
    this.eb = null;
    if (old) {
      try { old.close(); } catch { /* already closed */ }
    }
    this.dropWaiting('the bridge was restarted');
    this.connect();
  }

  refusal(frame) {
    const reason = (frame && (frame.body || frame.message)) || 'refused';
    const oldest = this.waiting.values().next().value;
    if (oldest) {
      oldest.settle(new CommandRefused(`refused by the bridge (${reason})`));
    } else {
      this.onRefused(String(reason));
    }
  }

  subscribe(address, fn) {
    const cb = (problem, msg) => {
      if (problem) {
        this.refusal(problem);
        return;
      }
      fn(msg.body, address);
    };
    this.subs.set(address, cb);
    if (this.live) this.eb.registerHandler(address, this.headers(), cb);
  }

  unsubscribe(address) {
    const cb = this.subs.get(address);
    this.subs.delete(address);
    if (cb && this.live) {
      try { this.eb.unregisterHandler(address, this.headers(), cb); } catch { /* closing */ }
    }
  }

  /** Send a command and wait for its reply body ({ok:true, …}). */
  command(address, body) {
    return new Promise((resolve, reject) => {
      if (!this.live) {
        reject(new CommandRefused('not sent — the bridge is reconnecting'));
        return;
      }
      const entry = {
        settle: (outcome, value) => {
          clearTimeout(entry.timer);
          this.waiting.delete(entry);
          if (outcome) reject(outcome);
          else resolve(value);
        },
      };
      entry.timer = setTimeout(
        () => entry.settle(new CommandRefused(`no answer from the line within ${COMMAND_WAIT_MS / 1000} s`)),
        COMMAND_WAIT_MS,
      );
      this.waiting.add(entry);
      try {
        this.eb.send(address, body, this.headers(), (problem, reply) => {
          if (!this.waiting.has(entry)) return;
          if (problem) {
            // the client hands over the bus reply code as failureCode (its own field name)
            entry.settle(new CommandRefused(problem.message || 'refused', problem.failureCode));
            return;
          }
          const answer = (reply && reply.body) || {};
          if (answer.ok === false) {
            entry.settle(new CommandRefused(answer.message || answer.reason || 'refused', answer.code));
            return;
          }
          entry.settle(null, answer);
        });
      } catch {
        entry.settle(new CommandRefused('not sent — the bridge is reconnecting'));
      }
    });
  }

  dropWaiting(reason) {
    for (const entry of [...this.waiting]) entry.settle(new CommandRefused(reason));
  }
}
