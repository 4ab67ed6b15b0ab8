// Kubernetes minor versions ("1.34"): what a target version looks like, and their order.

/** A target version: the schema allows any digits; Temporal caps a search attribute value, and no minor has 4 digits. */
export const KUBERNETES_MINOR = /^1\.\d{1,3}$/;

/** Compares "1.34"-style versions; negative when a < b. */
export function compareMinor(a: string, b: string): number {
  const [amaj, amin] = a.split('.').map(Number);
  const [bmaj, bmin] = b.split('.').map(Number);
  return amaj !== bmaj ? amaj - bmaj : amin - bmin;
}
