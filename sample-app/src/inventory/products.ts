/** The SKUs the sample shop sells. */
export const PRODUCTS: readonly string[] = ['coffee', 'tea', 'cocoa'];
