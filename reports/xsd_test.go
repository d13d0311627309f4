package reports

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// This file validates junit.xml against testdata/junit-10.xsd, the JUnit
// schema of Jenkins' xUnit plugin. No XSD validator in pure Go is available
// (libxml2 bindings need cgo), so it interprets the small part of XML Schema
// that the file uses: global elements referenced by name, content models
// built from xs:sequence and xs:choice with minOccurs/maxOccurs, mixed
// content, xs:string elements, and attributes that are required or
// optional. Anything else in the schema fails the test instead of being
// ignored.

// xmlNode is a parsed element: name, attributes, child elements and its
// own text.
type xmlNode struct {
	Name     string
	Attrs    []xml.Attr
	Children []*xmlNode
	Text     string
}

func (n *xmlNode) attr(name string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Name.Local == name && a.Name.Space == "" {
			return a.Value, true
		}
	}
	return "", false
}

// parseXML reads a whole document into an xmlNode tree.
func parseXML(b []byte) (*xmlNode, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	var stack []*xmlNode
	var root *xmlNode
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &xmlNode{Name: t.Name.Local, Attrs: slices.Clone(t.Attr)}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.Children = append(p.Children, n)
			} else if root == nil {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].Text += string(t)
			}
		}
	}
	if root == nil {
		return nil, fmt.Errorf("no root element")
	}
	return root, nil
}

// xsdElement is what the schema says of one element.
type xsdElement struct {
	text     bool           // type="xs:string": text only, no attributes, no children
	mixed    bool           // text allowed between children
	children *regexp.Regexp // the content model over "<name>" tokens
	attrs    map[string]bool
}

// xsdSchema is the global elements of a schema.
type xsdSchema map[string]*xsdElement

// loadXSD interprets the schema in path (see the comment at the top).
func loadXSD(path string) (xsdSchema, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	root, err := parseXML(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if root.Name != "schema" {
		return nil, fmt.Errorf("%s: root is <%s>, not <xs:schema>", path, root.Name)
	}
	schema := xsdSchema{}
	for _, el := range root.Children {
		if el.Name != "element" {
			return nil, fmt.Errorf("%s: unsupported top-level <xs:%s>", path, el.Name)
		}
		name, _ := el.attr("name")
		decl, err := elementDecl(el)
		if err != nil {
			return nil, fmt.Errorf("%s: element %q: %w", path, name, err)
		}
		schema[name] = decl
	}
	return schema, nil
}

func elementDecl(el *xmlNode) (*xsdElement, error) {
	if typ, ok := el.attr("type"); ok {
		if typ != "xs:string" || len(el.Children) > 0 {
			return nil, fmt.Errorf("unsupported type %q", typ)
		}
		return &xsdElement{text: true, children: regexp.MustCompile(`^$`)}, nil
	}
	if len(el.Children) != 1 || el.Children[0].Name != "complexType" {
		return nil, fmt.Errorf("want one xs:complexType")
	}
	ct := el.Children[0]
	decl := &xsdElement{attrs: map[string]bool{}}
	if m, _ := ct.attr("mixed"); m == "true" {
		decl.mixed = true
	}
	model := ""
	for _, c := range ct.Children {
		switch c.Name {
		case "attribute":
			name, _ := c.attr("name")
			use, _ := c.attr("use")
			if typ, _ := c.attr("type"); typ != "xs:string" {
				return nil, fmt.Errorf("attribute %q: unsupported type %q", name, typ)
			}
			decl.attrs[name] = use == "required"
		case "sequence", "choice":
			if model != "" {
				return nil, fmt.Errorf("two content models")
			}
			p, err := particle(c)
			if err != nil {
				return nil, err
			}
			model = p
		default:
			return nil, fmt.Errorf("unsupported <xs:%s> in complexType", c.Name)
		}
	}
	decl.children = regexp.MustCompile("^" + model + "$")
	return decl, nil
}

// particle turns a content-model particle into a regular expression over
// the concatenated "<name>" tokens of an element's children.
func particle(n *xmlNode) (string, error) {
	var body string
	switch n.Name {
	case "element":
		ref, ok := n.attr("ref")
		if !ok || len(n.Children) > 0 {
			return "", fmt.Errorf("only <xs:element ref=...> is supported in a content model")
		}
		body = regexp.QuoteMeta("<" + ref + ">")
	case "sequence", "choice":
		var parts []string
		for _, c := range n.Children {
			p, err := particle(c)
			if err != nil {
				return "", err
			}
			parts = append(parts, p)
		}
		sep := ""
		if n.Name == "choice" {
			sep = "|"
		}
		body = strings.Join(parts, sep)
	default:
		return "", fmt.Errorf("unsupported <xs:%s> in a content model", n.Name)
	}
	occurs, err := occurrence(n)
	if err != nil {
		return "", err
	}
	return "(?:" + body + ")" + occurs, nil
}

// occurrence renders minOccurs/maxOccurs (both default 1) as a repetition.
func occurrence(n *xmlNode) (string, error) {
	lo, hi := 1, "1"
	if v, ok := n.attr("minOccurs"); ok {
		var err error
		if lo, err = strconv.Atoi(v); err != nil {
			return "", fmt.Errorf("minOccurs %q", v)
		}
	}
	if v, ok := n.attr("maxOccurs"); ok {
		hi = v
	}
	switch {
	case hi == "unbounded":
		return fmt.Sprintf("{%d,}", lo), nil
	case hi == "1" && lo == 1:
		return "", nil
	}
	if _, err := strconv.Atoi(hi); err != nil {
		return "", fmt.Errorf("maxOccurs %q", hi)
	}
	return fmt.Sprintf("{%d,%s}", lo, hi), nil
}

// validate returns every way doc breaks the schema, with root as the only
// allowed document element.
func (s xsdSchema) validate(b []byte, root string) []string {
	doc, err := parseXML(b)
	if err != nil {
		return []string{err.Error()}
	}
	if doc.Name != root {
		return []string{fmt.Sprintf("root element is <%s>, want <%s>", doc.Name, root)}
	}
	var problems []string
	s.check(doc, "/"+doc.Name, &problems)
	return problems
}

func (s xsdSchema) check(n *xmlNode, path string, problems *[]string) {
	decl, ok := s[n.Name]
	if !ok {
		*problems = append(*problems, fmt.Sprintf("%s: element not declared by the schema", path))
		return
	}
	for _, a := range n.Attrs {
		if a.Name.Space != "" || a.Name.Local == "xmlns" {
			continue
		}
		if _, ok := decl.attrs[a.Name.Local]; !ok {
			*problems = append(*problems, fmt.Sprintf("%s: attribute %q not allowed", path, a.Name.Local))
		}
	}
	for name, required := range decl.attrs {
		if _, ok := n.attr(name); required && !ok {
			*problems = append(*problems, fmt.Sprintf("%s: required attribute %q missing", path, name))
		}
	}
	var tokens strings.Builder
	for _, c := range n.Children {
		tokens.WriteString("<" + c.Name + ">")
	}
	if !decl.children.MatchString(tokens.String()) {
		*problems = append(*problems, fmt.Sprintf("%s: children %s do not match the content model %s", path, tokens.String(), decl.children))
	}
	if !decl.text && !decl.mixed && strings.TrimSpace(n.Text) != "" {
		*problems = append(*problems, fmt.Sprintf("%s: text not allowed", path))
	}
	for i, c := range n.Children {
		s.check(c, fmt.Sprintf("%s/%s[%d]", path, c.Name, i), problems)
	}
}

func junitSchema(t *testing.T) xsdSchema {
	t.Helper()
	s, err := loadXSD("testdata/junit-10.xsd")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// everyVerdictReport has a spec of every verdict, a NON-STRICT pass and a
// multi-line reason, so that every element JUnit can write is written.
func everyVerdictReport() *Report {
	r := sampleReport()
	r.Specs = append(r.Specs,
		Spec{Name: "LenientHeader", Area: "headers", Feature: "headers", Section: "§3.1", Description: "header case", Verdict: Passed, Grade: GradeNonStrict, Reason: "lower-cased header\nAWS keeps case"},
		Spec{Name: "ThrottleUnderLoad", Area: "throttling", Feature: "throttling", Kind: KindScenario, Verdict: Invalid, Reason: "load generator fell behind"},
		Spec{Name: "TooFast", Area: "throttling", Feature: "throttling", Kind: KindScenario, Verdict: ConfigError, Reason: "rate 1e6/s is beyond the profile's bound"},
		Spec{Name: "Odd", Area: "", Verdict: "exploded"},
	)
	r.Summarize()
	return r
}

func TestJUnitValidatesAgainstXSD(t *testing.T) {
	schema := junitSchema(t)
	for name, r := range map[string]*Report{
		"every verdict": everyVerdictReport(),
		"empty":         {SchemaVersion: SchemaVersion},
		"run error": {SchemaVersion: SchemaVersion, Specs: []Spec{},
			RunError: &RunError{Kind: "unreachable", Message: "the gateway is unreachable", Field: "target.restURL"}},
	} {
		b, err := JUnit(r)
		if err != nil {
			t.Fatal(err)
		}
		if problems := schema.validate(b, "testsuites"); len(problems) > 0 {
			t.Errorf("%s: junit.xml breaks junit-10.xsd:\n%s\n\n%s", name, strings.Join(problems, "\n"), b)
		}
		// Stricter than the schema, as strict consumers are: every count
		// attribute is present, even when zero.
		doc, err := parseXML(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range []string{"tests", "failures", "errors", "time"} {
			if _, ok := doc.attr(a); !ok {
				t.Errorf("%s: <testsuites> lacks %q", name, a)
			}
		}
		for _, s := range doc.Children {
			for _, a := range []string{"name", "tests", "failures", "errors", "skipped", "time"} {
				if _, ok := s.attr(a); !ok {
					t.Errorf("%s: <testsuite> lacks %q", name, a)
				}
			}
		}
	}
}

// TestXSDValidatorRejects shows the validator can fail: each document
// breaks one rule of the schema.
func TestXSDValidatorRejects(t *testing.T) {
	schema := junitSchema(t)
	for _, c := range []struct{ doc, want string }{
		{`<testsuites><testsuite name="a"/></testsuites>`, `required attribute "tests" missing`},
		{`<testsuites skipped="0"/>`, `attribute "skipped" not allowed`},
		{`<testsuites><testsuite tests="1"><testcase name="x"><properties/></testcase></testsuite></testsuites>`, `do not match the content model`},
		{`<testsuites><testsuite tests="1"><testcase/></testsuite></testsuites>`, `required attribute "name" missing`},
		{`<testsuites><testcase name="x"/></testsuites>`, `do not match the content model`},
		{`<testsuites><testsuite tests="1"><properties><property name="a"/></properties></testsuite></testsuites>`, `required attribute "value" missing`},
		{`<testsuites><testsuite tests="1"><system-out><b/></system-out></testsuite></testsuites>`, `do not match the content model`},
		{`<testsuites><testsuite tests="1">stray text</testsuite></testsuites>`, `text not allowed`},
		{`<testsuites><testsuite tests="1"><bogus/></testsuite></testsuites>`, `do not match the content model`},
		{`<testsuite tests="1"/>`, `root element is <testsuite>`},
	} {
		problems := strings.Join(schema.validate([]byte(c.doc), "testsuites"), "\n")
		if !strings.Contains(problems, c.want) {
			t.Errorf("%s: problems %q, want one containing %q", c.doc, problems, c.want)
		}
	}
	if p := schema.validate([]byte(`<testsuites><testsuite tests="0" errors="0"><properties><property name="a" value="b"/></properties><testcase name="x"><failure message="m">text</failure><system-out>o</system-out></testcase></testsuite></testsuites>`), "testsuites"); len(p) > 0 {
		t.Errorf("a valid document was rejected: %v", p)
	}
}
