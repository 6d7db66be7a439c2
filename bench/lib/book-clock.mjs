// Preloaded into an app server by the page benchmarks (NODE_OPTIONS=--import): the server's clock runs
// from BENCH_CLOCK_AT (the reference book's anchor) instead of today, so the pages show what a user sees
// on the day the book ends: the home page's last 30 days and last complete month, the oversight page's
// last 90 days. Only the JavaScript clock moves (Date.now() and `new Date()`); time elapses as usual.
const anchor = Date.parse(process.env.BENCH_CLOCK_AT ?? "");
if (Number.isNaN(anchor)) throw new Error(`BENCH_CLOCK_AT must be an ISO timestamp, got ${JSON.stringify(process.env.BENCH_CLOCK_AT)}`);
const RealDate = Date;
const offset = anchor - RealDate.now();

const now = () => RealDate.now() + offset;

// A proxy rather than a subclass: dates made anywhere (Node's internals keep the original Date) still
// pass `instanceof Date`, and `Date()` called without `new` still returns the current time as text.
globalThis.Date = new Proxy(RealDate, {
  construct(target, args, newTarget) {
    return Reflect.construct(target, args.length === 0 ? [now()] : args, newTarget === globalThis.Date ? target : newTarget);
  },
  apply() {
    return new RealDate(now()).toString();
  },
  get(target, property, receiver) {
    return property === "now" ? now : Reflect.get(target, property, receiver);
  },
});
