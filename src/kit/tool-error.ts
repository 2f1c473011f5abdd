// The failure a tool (or the call path around it) detected itself: what failed and what to do.
// Below both the server and the tools, so each can throw it and the server can describe it.
/** A failure the tool itself detected (bad combination of inputs, refused namespace, …). */
export class ToolError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'ToolError';
  }
}
