/* Writes conntrack's XML events in the documented, indented layout (shared/seed/events.xml). */
#include <dlfcn.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "ct_pretty.h"
#include "log.h"

#define INDENT "   "

/* libxml2 is loaded only when --pretty is used: linked in, it and the ICU
 * it pulls cost every ctquery run about 2 ms of start-up.  The soname is
 * that of the ABI the headers describe. */
#define LIBXML2_SONAME "libxml2.so.2"

static struct {
	int state;			/* 0 not tried, 1 loaded, -1 failed (reported) */
	xmlDocPtr (*read_memory)(const char *, int, const char *, const char *, int);
	xmlNodePtr (*root_element)(const xmlDoc *);
	void (*free_doc)(xmlDocPtr);
	xmlChar *(*node_content)(const xmlNode *);
#ifdef LIBXML_THREAD_ALLOC_ENABLED
	xmlFreeFunc *(*free_fn)(void);	/* __xmlFree(): the per-thread hook */
#else
	xmlFreeFunc *free_fn;		/* &xmlFree: read at each call, as the macro does */
#endif
} xml;

/* Loads libxml2 once; returns 0, or -1 after one line on stderr. */
static int xml_load(void)
{
	void *h;

	if (xml.state)
		return xml.state > 0 ? 0 : -1;
	xml.state = -1;
	h = dlopen(LIBXML2_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return log_error("--pretty needs libxml2: %s", dlerror());
	*(void **)&xml.read_memory = dlsym(h, "xmlReadMemory");
	*(void **)&xml.root_element = dlsym(h, "xmlDocGetRootElement");
	*(void **)&xml.free_doc = dlsym(h, "xmlFreeDoc");
	*(void **)&xml.node_content = dlsym(h, "xmlNodeGetContent");
#ifdef LIBXML_THREAD_ALLOC_ENABLED
	*(void **)&xml.free_fn = dlsym(h, "__xmlFree");
#else
	*(void **)&xml.free_fn = dlsym(h, "xmlFree");
#endif
	if (!xml.read_memory || !xml.root_element || !xml.free_doc || !xml.node_content ||
	    !xml.free_fn)
		return log_error("--pretty needs libxml2: %s lacks a function it needs",
				 LIBXML2_SONAME);
	xml.state = 1;
	return 0;
}

static void xml_free(void *p)
{
#ifdef LIBXML_THREAD_ALLOC_ENABLED
	(*xml.free_fn())(p);
#else
	(*xml.free_fn)(p);
#endif
}

void ct_pretty_begin(FILE *out)
{
	if (xml_load())
		return;		/* reported; ct_pretty_flow fails and _end writes nothing */
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
		xmlChar *v = xml.node_content((const xmlNode *)a);

		fprintf(out, " %s=\"", (const char *)a->name);
		escaped(out, v ? v : BAD_CAST "", 1);
		fputc('"', out);
		xml_free(v);
	}
	if (!n->children) {
		fputs(" />\n", out);
		return;
	}
	if (only_text(n)) {
		xmlChar *v = xml.node_content(n);

		fputc('>', out);
		escaped(out, v ? v : BAD_CAST "", 0);
		fprintf(out, "</%s>\n", (const char *)n->name);
		xml_free(v);
		return;
	}
	fputs(">\n", out);
	for (c = n->children; c; c = c->next) {
		if (c->type == XML_ELEMENT_NODE) {
			write_element(out, c, level + 1);
		} else if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
			xmlChar *v = xml.node_content(c);

			if (v && v[strspn((const char *)v, " \t\r\n")]) {
				indent(out, level + 1);
				escaped(out, v, 0);
				fputc('\n', out);
			}
			xml_free(v);
		}
	}
	indent(out, level);
	fprintf(out, "</%s>\n", (const char *)n->name);
}

int ct_pretty_flow(const char *line, FILE *out)
{
	xmlDocPtr doc;
	xmlNodePtr root;

	if (xml_load())
		return -1;
	doc = xml.read_memory(line, (int)strlen(line), NULL, "UTF-8",
			      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	root = doc ? xml.root_element(doc) : NULL;
	if (!root || strcmp((const char *)root->name, "flow")) {
		xml.free_doc(doc);
		return log_error("cannot indent a flow: not a well-formed <flow> element");
	}
	write_element(out, root, 1);
	xml.free_doc(doc);
	return 0;
}

void ct_pretty_end(FILE *out)
{
	if (xml.state <= 0)
		return;
	fputs("</conntrack>\n", out);
}
