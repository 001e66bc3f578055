// esbuild bundles imported CSS into dist/dashboard/dashboard-<hash>.css.
declare module '*.css';
