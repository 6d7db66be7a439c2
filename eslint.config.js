import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["build/", "app/generated/", "node_modules/", "data/", "bench/.cache/", "test-results/", "playwright-report/", "tests/.artifacts/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // Routes never touch the database: they call one module function (STYLE.md).
      "no-restricted-imports": "off",
    },
  },
  {
    // React's rules of hooks apply to the UI only (elsewhere a `use` parameter is not a hook).
    files: ["app/**/*.tsx"],
    plugins: { "react-hooks": reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
  {
    files: ["app/routes/**/*.tsx", "app/routes/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { paths: [{ name: "~/utils/db.server", message: "Routes call a module in app/modules; they never query the database." }] },
      ],
    },
  },
);
