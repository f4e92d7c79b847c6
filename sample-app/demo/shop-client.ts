/** One answer of `POST /orders/:id`. */
export interface OrderAnswer {
  readonly id: string;
  readonly sku: string;
  readonly qty: number;
  /** Which instance was asked. */
  readonly askedInstance: string;
  readonly status: number;
  /** The `Retry-After` header of a 409, if any. */
  readonly retryAfter: string | null;
  /** `errorCode` of the body: `LOCK_NOT_ACQUIRED` for a 409 while the order is in flight. */
  readonly errorCode?: string;
}

/** An order to send. */
export interface OrderRequest {
  readonly id: string;
  readonly sku: string;
  readonly qty: number;
}

/** Places an order on one instance. */
export async function placeOrder(
  baseUrl: string,
  instance: string,
  order: OrderRequest,
): Promise<OrderAnswer> {
  const response = await fetch(`${baseUrl}/orders/${encodeURIComponent(order.id)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sku: order.sku, qty: order.qty }),
  });
  const body = (await response.json().catch(() => ({}))) as { errorCode?: string };
  return {
    ...order,
    askedInstance: instance,
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    ...(body.errorCode === undefined ? {} : { errorCode: body.errorCode }),
  };
}

/** One answer of `POST /catalog/refresh`. */
export interface RefreshAnswer {
  /** Which instance was asked. */
  readonly askedInstance: string;
  readonly status: number;
  /** The instance that ran the rebuild this answer got (from a 200). */
  readonly builtBy?: string;
  /** The fencing token of that rebuild: one per rebuild. */
  readonly fencingToken?: string;
}

/** A transfer to send. */
export interface TransferRequest {
  readonly from: string;
  readonly to: string;
  readonly amount: number;
}

/** One answer of `POST /accounts/transfers`. */
export interface TransferAnswer extends TransferRequest {
  readonly askedInstance: string;
  readonly status: number;
  readonly retryAfter: string | null;
  /** `LOCK_DEADLOCK` for a 409 given to break a cycle of waits. */
  readonly errorCode?: string;
}

/** Asks one instance to refresh the catalog cache (it joins a rebuild in progress, if any). */
export async function refreshCatalog(baseUrl: string, instance: string): Promise<RefreshAnswer> {
  const response = await fetch(`${baseUrl}/catalog/refresh`, { method: 'POST' });
  const body = (await response.json().catch(() => ({}))) as {
    builtBy?: string;
    fencingToken?: string;
  };
  return {
    askedInstance: instance,
    status: response.status,
    ...(body.builtBy === undefined ? {} : { builtBy: body.builtBy }),
    ...(body.fencingToken === undefined ? {} : { fencingToken: body.fencingToken }),
  };
}

/** Sends a transfer to one instance. */
export async function sendTransfer(
  baseUrl: string,
  instance: string,
  transfer: TransferRequest,
): Promise<TransferAnswer> {
  const response = await fetch(`${baseUrl}/accounts/transfers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(transfer),
  });
  const body = (await response.json().catch(() => ({}))) as { errorCode?: string };
  return {
    ...transfer,
    askedInstance: instance,
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    ...(body.errorCode === undefined ? {} : { errorCode: body.errorCode }),
  };
}
