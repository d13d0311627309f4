package reports

import (
	"bytes"
	"fmt"
	"os"
	"strings"
)

// Markdown renders r as a GitHub-flavoured Markdown summary (suitable for
// $GITHUB_STEP_SUMMARY or a PR comment): a title with the verdict, a line
// naming profile, target, tool and duration, a per-area table (with a
// NON-STRICT column), a table of failures, a table of configuration errors,
// a table of NON-STRICT passes with their reasons and the list of
// unsupported features, all in the sorted order of groupByArea. Counts are
// computed from r.Specs, not from r.Summary.
func Markdown(r *Report) []byte {
	var b bytes.Buffer
	all := count(r.Specs)

	word, shown := headline(r, all)
	icon := "✅"
	switch shown {
	case Failed:
		icon = "❌"
	case ConfigError, Errored:
		icon = "⛔"
	}
	fmt.Fprintf(&b, "# %s gatecheck: %s\n\n", icon, word)
	if r.RunError != nil {
		markdownRunError(&b, r.RunError)
	}
	fmt.Fprintf(&b, "%s.\n\n", mdText(all.counts()))

	var meta []string
	meta = append(meta, "**Profile:** "+orDash(r.Profile.Name))
	if r.Profile.Target != "" {
		meta = append(meta, "**Target:** "+mdText(r.Profile.Target))
	}
	tool := strings.TrimSpace(r.Tool.Name + " " + r.Tool.Version)
	meta = append(meta, "**Tool:** "+orDash(tool))
	meta = append(meta, "**Duration:** "+humanDuration(runSeconds(r)))
	if r.LabelFilter != "" {
		meta = append(meta, "**Label filter:** "+mdText(r.LabelFilter))
	}
	b.WriteString(strings.Join(meta, " · ") + "\n\n")

	groups := groupByArea(r.Specs)
	if len(groups) == 0 {
		b.WriteString("No specs ran.\n")
		return b.Bytes()
	}

	// Non-strict counts passed specs graded NON-STRICT (a subset of Passed).
	b.WriteString("| Area | Passed | Non-strict | Failed | Unsupported | Skipped | Time |\n")
	b.WriteString("|:-----|-------:|-----------:|-------:|------------:|--------:|-----:|\n")
	for _, g := range groups {
		t := count(g.Specs)
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %s |\n", mdCell(g.Name), t.Passed, t.NonStrict, t.Failed, t.Unsupported, t.Skipped, humanDuration(t.Seconds))
	}
	fmt.Fprintf(&b, "| **Total** | **%d** | **%d** | **%d** | **%d** | **%d** | **%s** |\n", all.Passed, all.NonStrict, all.Failed, all.Unsupported, all.Skipped, humanDuration(runSeconds(r)))
	specs := sortedSpecs(r.Specs)

	if all.Failed > 0 || all.Other > 0 {
		b.WriteString("\n## Failures\n\n")
		b.WriteString("| Spec | Feature | Section | Reason |\n")
		b.WriteString("|:-----|:--------|:--------|:-------|\n")
		for _, sp := range specs {
			var reason []string
			switch sp.Verdict {
			case Passed, Unsupported, Skipped, Invalid, ConfigError:
				continue
			case Failed:
			default:
				reason = append(reason, fmt.Sprintf("unrecognised verdict %q", sp.Verdict))
			}
			reason = append(reason, reasonLines(sp.Reason)...)
			if sp.Location != "" {
				reason = append(reason, "at "+sp.Location)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n",
				mdCell(areaName(sp.Area)+"/"+sp.Name), mdCell(sp.Feature), mdCell(sp.Section), mdCell(strings.Join(reason, "\n")))
		}
	}

	if all.ConfigErrors > 0 {
		b.WriteString("\n## Configuration errors\n\n")
		b.WriteString("These specs were stopped before checking anything: the profile asks for what gatecheck must not do.\n\n")
		b.WriteString("| Spec | Feature | Section | Reason |\n")
		b.WriteString("|:-----|:--------|:--------|:-------|\n")
		for _, sp := range specs {
			if sp.Verdict == ConfigError {
				fmt.Fprintf(&b, "| %s | %s | %s | %s |\n",
					mdCell(areaName(sp.Area)+"/"+sp.Name), mdCell(sp.Feature), mdCell(sp.Section), mdCell(strings.Join(reasonLines(sp.Reason), "\n")))
			}
		}
	}

	if ns := nonStrict(r.Specs); len(ns) > 0 {
		b.WriteString("\n## NON-STRICT passes\n\n")
		b.WriteString("These specs passed with an outcome the profile declares but AWS would not give.\n\n")
		b.WriteString("| Spec | Feature | Section | Reason |\n")
		b.WriteString("|:-----|:--------|:--------|:-------|\n")
		for _, sp := range ns {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n",
				mdCell(areaName(sp.Area)+"/"+sp.Name), mdCell(sp.Feature), mdCell(sp.Section), mdCell(strings.Join(reasonLines(sp.Reason), "\n")))
		}
	}

	if uf := unsupportedFeatures(r.Specs); len(uf) > 0 {
		b.WriteString("\n## Unsupported features\n\n")
		for _, f := range uf {
			line := fmt.Sprintf("- **%s** (%s)", mdText(f.Feature), plural(f.Count, "spec"))
			if f.Reason != "" {
				line += ": " + mdText(f.Reason)
			}
			b.WriteString(line + "\n")
		}
	}
	return b.Bytes()
}

// WriteMarkdown writes Markdown(r) to path.
func (r *Report) WriteMarkdown(path string) error {
	return os.WriteFile(path, Markdown(r), 0o644)
}

// mdEscaper makes arbitrary text literal in GFM inline content: Markdown
// punctuation is backslash-escaped (including "|", the GFM table-cell
// escape) and HTML-significant characters become entities.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`,
	`~`, `\~`, `|`, `\|`, `&`, `&amp;`, `<`, `&lt;`, `>`, `&gt;`,
)

// mdText escapes s for inline Markdown and folds it onto one line.
func mdText(s string) string {
	return mdEscaper.Replace(strings.Join(lines(s), " "))
}

// mdCell escapes s for a GFM table cell; line breaks become <br>.
func mdCell(s string) string {
	l := lines(s)
	for i := range l {
		l[i] = mdEscaper.Replace(l[i])
	}
	return strings.Join(l, "<br>")
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return mdText(s)
}
