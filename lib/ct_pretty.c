/* Writes conntrack's XML events in the documented, indented layout (shared/seed/events.xml). */
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "ct_pretty.h"
#include "log.h"

#define INDENT "   "

void ct_pretty_begin(FILE *out)
{
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<conntrack>\n", out);
}

static void indent(FILE *out, int level)
{
	while (level-- > 0)
		fputs(INDENT, out);
}

/* Writes s with &, <, > and (in attributes) " escaped. */
static void escaped(FILE *out, const xmlChar *s, int attr)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs(attr ? "&quot;" : "\"", out); break;
		case '\r': fputs("&#13;", out); break;
		default: fputc(*s, out);
		}
	}
}

static int only_text(const xmlNode *n)
{
	for (n = n->children; n; n = n->next)
		if (n->type != XML_TEXT_NODE && n->type != XML_CDATA_SECTION_NODE)
			return 0;
	return 1;
}

/* Writes element n at level: leaves on one line, empty ones as <name />. */
static void write_element(FILE *out, const xmlNode *n, int level)
{
	const xmlAttr *a;
	const xmlNode *c;

	indent(out, level);
	fprintf(out, "<%s", (const char *)n->name);
	for (a = n->properties; a; a = a->next) {
		xmlChar *v = xmlNodeGetContent((const xmlNode *)a);

		fprintf(out, " %s=\"", (const char *)a->name);
		escaped(out, v ? v : BAD_CAST "", 1);
		fputc('"', out);
		xmlFree(v);
	}
	if (!n->children) {
		fputs(" />\n", out);
		return;
	}
	if (only_text(n)) {
		xmlChar *v = xmlNodeGetContent(n);

		fputc('>', out);
		escaped(out, v ? v : BAD_CAST "", 0);
		fprintf(out, "</%s>\n", (const char *)n->name);
		xmlFree(v);
		return;
	}
	fputs(">\n", out);
	for (c = n->children; c; c = c->next) {
		if (c->type == XML_ELEMENT_NODE) {
			write_element(out, c, level + 1);
		} else if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
			xmlChar *v = xmlNodeGetContent(c);

			if (v && v[strspn((const char *)v, " \t\r\n")]) {
				indent(out, level + 1);
				escaped(out, v, 0);
				fputc('\n', out);
			}
			xmlFree(v);
		}
	}
	indent(out, level);
	fprintf(out, "</%s>\n", (const char *)n->name);
}

int ct_pretty_flow(const char *line, FILE *out)
{
	xmlDocPtr doc;
	xmlNodePtr root;

	doc = xmlReadMemory(line, (int)strlen(line), NULL, "UTF-8",
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root || strcmp((const char *)root->name, "flow")) {
		xmlFreeDoc(doc);
		return log_error("cannot indent a flow: not a well-formed <flow> element");
	}
	write_element(out, root, 1);
	xmlFreeDoc(doc);
	return 0;
}

void ct_pretty_end(FILE *out)
{
	fputs("</conntrack>\n", out);
}
