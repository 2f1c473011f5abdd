// Types for the xk6-sse extension (github.com/phymbert/xk6-sse), which load/k6/legacy-sse.ts
// needs: plain k6 reads a response only once it has ended, and a legacy SSE stream never ends.
// Build a k6 that has it with: xk6 build --with github.com/phymbert/xk6-sse
declare module 'k6/x/sse' {
  export interface SseEvent {
    id: string;
    /** The `event:` field ("message" when absent on some versions, "" on others). */
    name: string;
    data: string;
  }

  export interface SseError {
    error(): string;
  }

  export interface SseClient {
    on(event: 'open', handler: () => void): void;
    on(event: 'event', handler: (event: SseEvent) => void): void;
    on(event: 'error', handler: (error: SseError) => void): void;
    close(): void;
  }

  export interface SseParams {
    method?: string;
    body?: string;
    headers?: Record<string, string>;
    tags?: Record<string, string>;
  }

  export interface SseResponse {
    status: number;
    url: string;
    headers: Record<string, string>;
    error: string;
  }

  export function open(url: string, params: SseParams, callback: (client: SseClient) => void): SseResponse;

  const sse: { open: typeof open };
  export default sse;
}
