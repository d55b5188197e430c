import { memo, useMemo, useState, type ComponentPropsWithoutRef, type ReactNode } from 'react';
import ReactMarkdown, { type Components } from 'react-markdown';
import remarkGfm from 'remark-gfm';
import { CopyButton } from './CopyButton';

// A model's markdown, rendered without raw HTML; links open in a new tab without an opener or referrer; images are
// not loaded (the CSP refuses other hosts anyway) but shown as links, so an answer cannot make the browser call out.

function textOf(node: ReactNode): string {
  if (typeof node === 'string' || typeof node === 'number') return String(node);
  if (Array.isArray(node)) return node.map(textOf).join('');
  if (node && typeof node === 'object' && 'props' in node) return textOf((node.props as { children?: ReactNode }).children);
  return '';
}

function CodeBlock({ children, ...rest }: ComponentPropsWithoutRef<'pre'>) {
  const code = Array.isArray(children) ? children[0] : children;
  const className = (code && typeof code === 'object' && 'props' in code ? (code.props as { className?: string }).className : undefined) ?? '';
  const language = /language-([\w+#.-]+)/.exec(className)?.[1];
  return (
    <div className="code-block">
      <div className="code-block-bar">
        <span>{language ?? 'code'}</span>
        <CopyButton text={() => textOf(children).replace(/\n$/, '')} label="Copy code" className="code-copy" />
      </div>
      <pre {...rest} tabIndex={0}>{children}</pre>
    </div>
  );
}

const components: Components = {
  pre: ({ node: _node, ...props }) => <CodeBlock {...props} />,
  a: ({ node: _node, href, children }) => (
    <a href={href} target="_blank" rel="noopener noreferrer">
      {children}
    </a>
  ),
  img: ({ src, alt }) => {
    const url = typeof src === 'string' ? src : '';
    return url ? (
      <a href={url} target="_blank" rel="noopener noreferrer" className="image-link">
        Image: {alt || url}
      </a>
    ) : (
      <span>{alt}</span>
    );
  },
  table: ({ node: _node, ...props }) => (
    <div className="table-scroll">
      <table {...props} />
    </div>
  ),
};

const remarkPlugins = [remarkGfm];

const FENCE = /^ {0,3}(```|~~~)/;
const LIST_ITEM = /^([-*+]|\d{1,9}[.)])\s/;

/**
 * Splits markdown at blank lines that end a top-level block (not inside a code fence, not before an indented or
 * list continuation), so each block is parsed on its own and a streaming answer re-parses only its last block.
 */
export function splitBlocks(text: string): string[] {
  const lines = text.split('\n');
  const blocks: string[] = [];
  let current: string[] = [];
  let inFence = false;
  let blank = false;
  for (const line of lines) {
    if (!inFence && blank && line.trim() !== '' && !/^\s/.test(line) && !LIST_ITEM.test(line) && current.length > 0) {
      blocks.push(current.join('\n'));
      current = [];
    }
    if (FENCE.test(line)) inFence = !inFence;
    blank = !inFence && line.trim() === '';
    current.push(line);
  }
  if (current.length > 0) blocks.push(current.join('\n'));
  return blocks;
}

const MarkdownBlock = memo(function MarkdownBlock({ text }: { text: string }) {
  return (
    <ReactMarkdown remarkPlugins={remarkPlugins} components={components} skipHtml>
      {text}
    </ReactMarkdown>
  );
});

/**
 * Re-renders only when its own text changes (memo). A text that streams in (and stays so once it has) is parsed per
 * block, so each update re-parses only the blocks that changed; any other text is parsed whole, at once: each parse
 * sets up its own parser, which costs more than the blocks of a typical answer save.
 */
export const Markdown = memo(function Markdown({ text, streaming }: { text: string; streaming: boolean }) {
  const [streamed, setStreamed] = useState(streaming);
  if (streaming && !streamed) setStreamed(true);
  const inBlocks = streamed || streaming;
  const blocks = useMemo(() => (inBlocks ? splitBlocks(text) : [text]), [text, inBlocks]);
  return (
    <div className="markdown">
      {blocks.map((block, i) => (
        <MarkdownBlock key={i} text={block} />
      ))}
    </div>
  );
});
