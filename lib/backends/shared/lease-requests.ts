/** One acquire waiting in a backend's same-tick batch. */
export interface AcquireRequest {
  readonly key: string;
  readonly owner: string;
  readonly ttlMs: number;
}

/** One release waiting in a backend's same-tick batch. */
export interface ReleaseRequest {
  readonly key: string;
  readonly owner: string;
}
