/**
 * An open-loop load at a fixed rate, spread evenly over time (every millisecond, rate/1000 requests), and
 * the latency of each request measured from when it was due. autocannon's fixed-rate mode sends each
 * second's quota in a burst and corrects for it with a 1 ms expected interval, which measures the
 * burst, not the server; this measures what a site sees at a steady rate.
 */
import http from 'node:http';

export interface PacedResult {
  sent: number;
  ok: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
  achievedPerSecond: number;
}

/**
 * `warmupSeconds` of the same load come first and are not counted: the pacer's connections stay open
 * into the measured part, as a site's visitors' connections are already open at any moment of a
 * steady load (opening hundreds at once is what the warm-up leaves out).
 */
export async function pacedLoad(
  url: string,
  ratePerSecond: number,
  durationSeconds: number,
  request: () => { body: string; headers: Record<string, string> },
  warmupSeconds = 0,
): Promise<PacedResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const target = new URL(url);
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  let sent = 0;
  const inFlight = new Set<Promise<void>>();
  // Requests due within a tick wait for it, and that wait counts as latency: at 5 ms ticks it added
  // about 3 ms to every request (a bare node:http server measured p50 4 ms, at 1 ms ticks 1.1 ms).
  const tickMs = 1;
  const started = performance.now();
  const measuredFrom = started + warmupSeconds * 1000;
  const end = measuredFrom + durationSeconds * 1000;
  let measured = 0;

  const send = (due: number) => {
    const counted = due >= measuredFrom;
    if (counted) measured++;
    const { body, headers } = request();
    const done = new Promise<void>((resolve) => {
      const req = http.request(
        { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (counted) {
              latencies.push(performance.now() - due);
              if (res.statusCode !== undefined && res.statusCode < 300) ok++;
              else failed++;
            }
            resolve();
          });
        },
      );
      req.on('error', () => {
        if (counted) failed++;
        resolve();
      });
      req.end(body);
    });
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
    sent++;
  };

  while (performance.now() < end) {
    const now = performance.now();
    // Catch up to where the schedule says we should be, so a slow tick does not lower the rate.
    const due = Math.floor(((now - started) / 1000) * ratePerSecond);
    for (let index = sent; index < due; index++) send(started + (index / ratePerSecond) * 1000);
    await new Promise((resolve) => setTimeout(resolve, tickMs));
  }
  await Promise.all(inFlight);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (quantile: number) => Math.round((latencies[Math.min(latencies.length - 1, Math.floor(quantile * latencies.length))] ?? 0) * 10) / 10;
  return { sent: measured, ok, failed, p50Ms: at(0.5), p99Ms: at(0.99), achievedPerSecond: Math.round(measured / durationSeconds) };
}
