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

/** Asks one instance to rebuild the catalog cache. */
export async function refreshCatalog(baseUrl: string): Promise<{ refreshed: boolean }> {
  const response = await fetch(`${baseUrl}/catalog/refresh`, { method: 'POST' });
  if (!response.ok) throw new Error(`POST /catalog/refresh answered ${response.status}`);
  return (await response.json()) as { refreshed: boolean };
}
