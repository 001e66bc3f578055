/**
 * Shows the visit's own phone number and e-mail address in place of the site's (PROTOCOL.md,
 * "Swap"): in every text node of the page and in `tel:` and `mailto:` links, once the page is
 * parsed, and again after each history navigation (single-page apps render anew).
 */
import { swapText, type SwapAnswer } from './swapText.js';

let current: SwapAnswer | undefined;

export function showSwap(swap?: SwapAnswer): void {
  if (swap) current = swap;
  if (!current) return;
  if (document.readyState === 'loading') addEventListener('DOMContentLoaded', () => showSwap());
  else {
    const walker = document.createTreeWalker(document.body, 4 /* NodeFilter.SHOW_TEXT */);
    let node: Node | null;
    while ((node = walker.nextNode())) {
      const text = swapText(node.nodeValue as string, current);
      if (text !== node.nodeValue) node.nodeValue = text;
    }
    for (const link of document.querySelectorAll('a[href^="tel:"],a[href^="mailto:"]') as unknown as Element[]) {
      const href = link.getAttribute('href') as string;
      const swapped = swapText(href, current);
      if (swapped !== href) link.setAttribute('href', swapped);
    }
  }
}
