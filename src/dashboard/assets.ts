/**
 * The dashboards' only asset, a style sheet, shipped inside the package as code (no CDN,
 * no separate file to forget in `files`). Colours of charts are SVG attributes, not CSS.
 */
export const DASHBOARD_CSS = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1b1b1b; background: #fafafa; }
header { background: #2b2d42; color: #fff; padding: 8px 16px; display: flex; gap: 16px; align-items: center; }
header a { color: #edf2f4; margin-right: 12px; }
header .who { margin-left: auto; }
main { padding: 16px; max-width: 1100px; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 24px; }
table { border-collapse: collapse; background: #fff; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; }
form.inline { display: inline; }
.flash.ok { background: #e6f4ea; padding: 8px; } .flash.error { background: #fce8e6; padding: 8px; }
.once { font-family: monospace; background: #fff3cd; padding: 8px; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
figure { background: #fff; border: 1px solid #ddd; margin: 0; padding: 8px; }
figcaption { font-weight: 600; margin-bottom: 4px; }
label { display: block; margin: 8px 0 2px; }
fieldset { margin-bottom: 16px; max-width: 420px; }
`;
