import { memo, type ComponentPropsWithoutRef, type ReactNode } from 'react';
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

/** Re-parses only when its own text changes (memo): a streaming message does not re-render the others. */
export const Markdown = memo(function Markdown({ text }: { text: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown remarkPlugins={remarkPlugins} components={components} skipHtml>
        {text}
      </ReactMarkdown>
    </div>
  );
});
