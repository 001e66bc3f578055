/** Every method and path the product serves, read off the features' routers and fast routes (for the OpenAPI check). */
import type { Router } from 'express';
import type { Runtime } from '../../server/runtime.js';

export interface RouteEntry {
  method: string;
  /** OpenAPI style: `/api/v1/sites/{siteId}`. */
  path: string;
}

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function routesOfRouter(router: Router): RouteEntry[] {
  const entries: RouteEntry[] = [];
  const visit = (layers: Layer[]) => {
    for (const layer of layers) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const path of paths) {
          for (const [method, on] of Object.entries(layer.route.methods)) {
            if (on && method !== '_all') entries.push({ method: method.toLowerCase(), path: openApiPath(path) });
          }
        }
      } else if (layer.handle?.stack) {
        visit(layer.handle.stack);
      }
    }
  };
  visit((router as unknown as { stack: Layer[] }).stack);
  return entries;
}

export function routeTable(runtime: Runtime): RouteEntry[] {
  const entries: RouteEntry[] = [];
  for (const router of runtime.served.routers) entries.push(...routesOfRouter(router));
  for (const route of runtime.served.fastRoutes) {
    for (const method of route.methods) entries.push({ method: method.toLowerCase(), path: route.path });
  }
  const unique = new Map(entries.map((entry) => [`${entry.method} ${entry.path}`, entry]));
  return [...unique.values()].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
}
