// ESLint for the console's JavaScript (make lint): the recommended rules, for ES modules that
// run in the browser. The front-end packages the console loads as plain scripts
// (src/openline/web/static/index.html) are the read-only globals L, ms and topojson; /docs
// loads Swagger UI's bundle the same way (SwaggerUIBundle, read by js/swagger-ui.js).
import js from "@eslint/js";
import globals from "globals";

export default [
  {
    ignores: ["**/node_modules/", "src/openline/web/vendor/"],
  },
  {
    files: ["src/openline/web/static/js/**/*.js"],
    ...js.configs.recommended,
    languageOptions: {
      ecmaVersion: "latest",
      sourceType: "module",
      globals: {
        ...globals.browser,
        L: "readonly",
        ms: "readonly",
        topojson: "readonly",
        SwaggerUIBundle: "readonly",
      },
    },
    rules: {
      ...js.configs.recommended.rules,
      // A caught error left unused still says what was caught (`catch (error)`): allowed, as
      // ESLint allowed it by default before version 9.
      "no-unused-vars": ["error", { caughtErrors: "none" }],
    },
  },
  {
    // The script that copies the console's packages into vendor/ at install time, and this file.
    files: ["src/openline/web/copy-vendor.mjs", "eslint.config.js"],
    ...js.configs.recommended,
    languageOptions: {
      ecmaVersion: "latest",
      sourceType: "module",
      globals: globals.node,
    },
  },
];
