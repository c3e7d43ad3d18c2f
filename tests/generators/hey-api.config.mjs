// hey-api's row of the generator matrix: types (with the document's enums as JavaScript constants), the SDK and its
// fetch client, with ".js" import extensions so Node runs the compiled output as is.
export default {
  input: process.env.KLING_DOCUMENT,
  output: { path: 'out/hey-api', importFileExtension: '.js' },
  plugins: [{ name: '@hey-api/typescript', enums: 'javascript' }, '@hey-api/sdk', '@hey-api/client-fetch'],
};
