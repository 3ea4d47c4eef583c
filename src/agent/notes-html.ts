import MarkdownIt from 'markdown-it';

/**
 * Release notes as HTML for the page and the host app's banner: Markdown through markdown-it
 * with raw HTML off (a `<script>` in the notes is shown as text), its link check on (no
 * javascript:, vbscript:, file: or data: links), and links that open without a referrer.
 */
const md = new MarkdownIt({ html: false, linkify: true, typographer: false });
const defaultLinkOpen =
  md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  tokens[idx]!.attrSet('rel', 'noopener noreferrer nofollow');
  tokens[idx]!.attrSet('target', '_blank');
  return defaultLinkOpen(tokens, idx, options, env, self);
};

export function notesHtml(markdown: string): string {
  return md.render(markdown);
}

/**
 * One line that says what a release is about: the first paragraph or list item of its notes that
 * is not a heading, as plain text (at most 200 characters).
 */
export function notesSummary(markdown: string): string {
  const tokens = md.parse(markdown, {});
  for (let n = 0; n < tokens.length; n++) {
    const t = tokens[n]!;
    if (t.type !== 'inline' || tokens[n - 1]?.type === 'heading_open') continue;
    const text = (t.children ?? [])
      .filter((c) => c.type === 'text' || c.type === 'code_inline')
      .map((c) => c.content)
      .join('')
      .replace(/\s+/g, ' ')
      .trim();
    if (text) return text.length > 200 ? `${text.slice(0, 199)}…` : text;
  }
  return '';
}
