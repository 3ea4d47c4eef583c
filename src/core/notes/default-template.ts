/**
 * The default release notes, after the library strategy's template: what's new, changes by
 * category, a migration guide when breaking, installation, links. `slipway notes
 * --print-template` prints it as a starting point for your own.
 */
export const DEFAULT_NOTES_TEMPLATE = `# {{name}} v{{version}}
{{#if prerelease}}

> This is a prerelease on the **{{channel}}** channel.
{{/if}}
{{#if security}}

> **Security release{{#if severity}} ({{severity}}{{#if advisory}}, {{advisory}}{{/if}}){{/if}}.** Upgrading is recommended for everyone.
{{/if}}
{{#if highlights.length}}

## 🎉 What's New

{{#each highlights}}
- {{{this}}}
{{/each}}
{{/if}}

## 🔧 Changes
{{#each sections}}

### {{title}}

{{#each entries}}
- {{{this}}}
{{/each}}
{{else}}

No user-facing changes.
{{/each}}
{{#if breaking}}

## 🚀 Migration Guide
{{#if migrationGuide}}

See [Migration Guide]({{migrationGuide}}) for detailed upgrade instructions.
{{/if}}

{{#each breakingChanges}}
- {{{this}}}
{{/each}}
{{/if}}
{{#if install}}

## 📦 Installation

\`\`\`bash
{{{install}}}
\`\`\`
{{/if}}
{{#if links.length}}

## 🔗 Links

{{#each links}}
- [{{label}}]({{url}})
{{/each}}
{{/if}}
`;
