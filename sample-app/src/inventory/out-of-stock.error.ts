/** Not enough of a product left for an order. */
export class OutOfStockError extends Error {
  constructor(
    readonly sku: string,
    readonly wanted: number,
    readonly left: number,
  ) {
    super(`only ${left} ${sku} left, ${wanted} wanted`);
    this.name = 'OutOfStockError';
  }
}

/** An order for a product the shop does not sell. */
export class UnknownProductError extends Error {
  constructor(readonly sku: string) {
    super(`no product "${sku}"`);
    this.name = 'UnknownProductError';
  }
}
