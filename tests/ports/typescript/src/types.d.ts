declare module 'js-yaml' {
  export function load(text: string): unknown;
  const yaml: { load(text: string): unknown };
  export default yaml;
}
