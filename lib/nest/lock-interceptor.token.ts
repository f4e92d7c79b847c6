/**
 * The module's `LockInterceptor` instance under a token of its own, so the module definition can
 * register it globally (`APP_INTERCEPTOR`) without importing the class, which imports the module
 * definition's options token.
 */
export const LOCK_INTERCEPTOR = Symbol('LOCK_INTERCEPTOR');
