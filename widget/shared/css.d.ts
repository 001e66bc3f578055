/** esbuild's text loader: `import css from './panel.css'` is the file's text. */
declare module '*.css' {
  const text: string;
  export default text;
}
