import { HttpException } from '@nestjs/common';
import { type LockHttpAnswer, lockErrorResponse } from './lock-http-answer.js';

/**
 * A lock error as the `HttpException` Nest and the app's own filters understand: the status and
 * body of {@link lockErrorResponse} (with `errorCode`), the lock error as its `cause`, and the
 * headers (`Retry-After`) the caller sets on the response. `undefined` for any other error.
 *
 * An app's catch-all filter that answers `error instanceof HttpException ? error.getStatus() : 500`
 * (the shape Nest's docs show) then answers a busy lock 409, wherever in the request it was taken.
 */
export function lockHttpException(
  error: unknown,
): { readonly exception: HttpException; readonly answer: LockHttpAnswer } | undefined {
  const answer = lockErrorResponse(error);
  if (!answer) return undefined;
  return { exception: new HttpException(answer.body, answer.status, { cause: error }), answer };
}
