import PDFDocument from "pdfkit";
import { renderToStaticMarkup } from "react-dom/server";
import type { NoticeDocument } from "./notice-document";

// The two renderings of one notice: a printable HTML page (print CSS, nothing remote) and a PDF
// drawn with pdfkit's built-in Helvetica (no embedded or fetched resources). Both walk the same
// NoticeDocument in the same order, so their text is the same (tests/unit compare them).

const printCss = `
  @page { size: A4; margin: 20mm; }
  body { font-family: Helvetica, Arial, sans-serif; color: #111; max-width: 42rem; margin: 2rem auto; line-height: 1.45; font-size: 11pt; }
  h1 { font-size: 17pt; margin: 0 0 1rem; }
  h2 { font-size: 12pt; margin: 1.4rem 0 0.4rem; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; margin: 0 0 1rem; }
  dt { font-weight: bold; }
  dd { margin: 0; }
  ul { padding-left: 1.2rem; }
  .toolbar { margin-bottom: 1.5rem; display: flex; gap: 1rem; font-family: system-ui, sans-serif; font-size: 10pt; }
  @media print { .toolbar { display: none; } body { margin: 0; max-width: none; } }
`;

function NoticeView({ notice, pdfHref }: { notice: NoticeDocument; pdfHref?: string }) {
  return (
    <html lang={notice.language}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{notice.title}</title>
        <style>{printCss}</style>
      </head>
      <body>
        {pdfHref ? (
          <nav className="toolbar" aria-label="Notice actions">
            <a href={pdfHref}>Download PDF</a>
          </nav>
        ) : null}
        <main>
          <h1>{notice.title}</h1>
          <dl>
            {notice.facts.map((fact) => (
              <div key={fact.label} style={{ display: "contents" }}>
                <dt>{fact.label}:</dt>
                <dd>{fact.value}</dd>
              </div>
            ))}
          </dl>
          {notice.sections.map((section, index) => (
            <section key={index}>
              {section.heading ? <h2>{section.heading}</h2> : null}
              {section.paragraphs.map((paragraph, paragraphIndex) => (
                <p key={paragraphIndex}>{paragraph}</p>
              ))}
              {section.list ? (
                <ul>
                  {section.list.map((item) => (
                    <li key={item}>{item}</li>
                  ))}
                </ul>
              ) : null}
            </section>
          ))}
        </main>
      </body>
    </html>
  );
}

/** A standalone printable HTML document (its own CSS inline; no script, font or image is fetched). */
export function renderNoticeHtml(notice: NoticeDocument, options: { pdfHref?: string } = {}) {
  return `<!doctype html>${renderToStaticMarkup(<NoticeView notice={notice} pdfHref={options.pdfHref} />)}`;
}

/** The same notice as a PDF (A4, Helvetica). `compress: false` keeps the text readable to tests. */
export function renderNoticePdf(notice: NoticeDocument, options: { compress?: boolean } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const pdf = new PDFDocument({
      size: "A4",
      margin: 56,
      compress: options.compress ?? true,
      lang: notice.language,
      info: { Title: notice.title, Creator: "Attest", Producer: "Attest" },
    });
    const chunks: Buffer[] = [];
    pdf.on("data", (chunk: Buffer) => chunks.push(chunk));
    pdf.on("end", () => resolve(Buffer.concat(chunks)));
    pdf.on("error", reject);

    pdf.font("Helvetica-Bold").fontSize(17).text(notice.title);
    pdf.moveDown(0.8);
    for (const fact of notice.facts) {
      pdf.font("Helvetica-Bold").fontSize(10.5).text(`${fact.label}:`, { continued: true });
      pdf.font("Helvetica").text(` ${fact.value}`);
    }
    for (const section of notice.sections) {
      pdf.moveDown(0.8);
      if (section.heading) {
        pdf.font("Helvetica-Bold").fontSize(12).text(section.heading);
        pdf.moveDown(0.3);
      }
      pdf.font("Helvetica").fontSize(10.5);
      for (const paragraph of section.paragraphs) {
        pdf.text(paragraph, { align: "left" });
        pdf.moveDown(0.4);
      }
      if (section.list) pdf.list(section.list, { bulletRadius: 1.5, textIndent: 12, bulletIndent: 4 });
    }
    pdf.end();
  });
}
