// Package render draws retention reports for people: aligned tables and
// text charts for a terminal, and a cohort retention heatmap as a PNG image
// or a self-contained HTML page. It holds no Kubernetes or database code;
// the CLI fetches the data and hands it here.
package render
