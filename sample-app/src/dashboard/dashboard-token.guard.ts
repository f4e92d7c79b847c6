import { timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, UnauthorizedException } from '@nestjs/common';

/** One accepted login: a password, and the user name it must come with (any when absent). */
export interface DashboardLogin {
  readonly user?: string;
  readonly password: string;
}

/** The parts of an Express or Fastify request and response the guard reads and writes. */
interface GuardedRequest {
  readonly headers: Record<string, string | string[] | undefined>;
}
interface ChallengedResponse {
  header?(name: string, value: string): unknown;
  setHeader?(name: string, value: string): unknown;
}

/**
 * Admits a request whose HTTP Basic credentials match one of `logins`. Otherwise 401 with
 * `WWW-Authenticate: Basic`, so a browser asks for them once and then sends them with every
 * request of the page, its event stream included; with `challenge: false` (the admin guard, behind
 * the viewers' one), 403 instead, so a viewer is not asked for the admin's password. A sample's guard: in your app, check your
 * operators' session or SSO instead, and serve it over HTTPS (Basic sends the password each time).
 */
export class DashboardTokenGuard implements CanActivate {
  readonly #logins: readonly { user?: string; password: Buffer }[];

  constructor(
    logins: readonly DashboardLogin[],
    private readonly challenge = true,
  ) {
    this.#logins = logins.map(({ user, password }) => ({ user, password: Buffer.from(password) }));
  }

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const header = http.getRequest<GuardedRequest>().headers.authorization;
    if (typeof header === 'string' && this.#admits(header)) return true;
    if (!this.challenge) return false;
    const response = http.getResponse<ChallengedResponse>();
    const challenge = 'Basic realm="lock dashboard", charset="UTF-8"';
    if (response.header) response.header('WWW-Authenticate', challenge);
    else response.setHeader?.('WWW-Authenticate', challenge);
    throw new UnauthorizedException('the lock dashboard needs its password');
  }

  #admits(header: string): boolean {
    const [scheme, value = ''] = header.split(' ', 2);
    if (scheme?.toLowerCase() !== 'basic') return false;
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const user = decoded.slice(0, colon);
    const password = Buffer.from(decoded.slice(colon + 1));
    return this.#logins.some(
      (login) =>
        (login.user === undefined || login.user === user) &&
        login.password.length === password.length &&
        timingSafeEqual(login.password, password),
    );
  }
}
