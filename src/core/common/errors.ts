/**
 * An error the user caused and can fix. Its message is one line: what went wrong, where
 * (file:line when there is one) and how to fix it; callers print it without a stack trace.
 */
export class PexError extends Error {
  constructor(message: string) {
    super(message.replace(/\s*\n\s*/g, ' '));
    this.name = 'PexError';
  }
}
