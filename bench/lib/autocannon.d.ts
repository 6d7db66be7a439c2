// The part of autocannon's API the benchmarks use (the package ships no types).
declare module "autocannon" {
  interface RawRequest {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
  }
  interface Options {
    url: string;
    connections?: number;
    /** Requests per second over all connections together. */
    overallRate?: number;
    amount?: number;
    duration?: number;
    timeout?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    requests?: { setupRequest?: (request: RawRequest) => RawRequest }[];
  }
  interface Histogram {
    p50: number;
    p97_5: number;
    p99: number;
    average: number;
  }
  export interface Result {
    non2xx: number;
    errors: number;
    timeouts: number;
    latency: Histogram;
    requests: { total: number; average: number };
  }
  interface Instance {
    /** Each answered request: its status code, size and response time (ms). */
    on(event: "response", listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void): Instance;
    on(event: "reqError", listener: (error: Error) => void): Instance;
  }
  export default function autocannon(options: Options): Promise<Result>;
  export default function autocannon(options: Options, done: (error: Error | null, result: Result) => void): Instance;
}
