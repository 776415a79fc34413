// Lint: JavaScript's and typescript-eslint's recommended rules over every source file of the project.
// Formatting is Prettier's (.prettierrc.json); `npm run lint` checks both, `npm run format` writes.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

export default tseslint.config(
	{ ignores: ["dist/", "node_modules/", "coverage/", "test-output/"] },
	js.configs.recommended,
	tseslint.configs.recommended,
	{
		languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: globals.node },
		rules: {
			// The project's convention: a leading underscore names a value left out on purpose,
			// as in `const { _id, ...rest } = doc` or a handler's unused argument.
			"@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true }]
		}
	},
	{
		files: ["**/*.js"],
		languageOptions: { sourceType: "commonjs" }
	},
	{
		// The docs page's own script runs in the browser, beside swagger-ui-dist's bundle.
		files: ["services/gateway/docs/**/*.js"],
		languageOptions: { sourceType: "script", globals: { ...globals.browser, SwaggerUIBundle: "readonly" } }
	}
);
