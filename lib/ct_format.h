/* Prints events exactly as `conntrack -E` printed them, through the same library formatter. */
#ifndef CT_FORMAT_H
#define CT_FORMAT_H

#include <stdio.h>
#include "ct_event.h"

struct nfct_labelmap;

/* Output options, as conntrack's -o list. */
struct ct_fmt {
	unsigned xml:1, extended:1, id:1, ktimestamp:1, timestamp:1, labels:1;
	unsigned save:1;		/* each event as a conntrack command line (ct_save.c) */
	unsigned pretty:1;		/* with xml: the documented, indented layout */
	struct nfct_labelmap *labelmap;	/* with labels: conntrack's label map */
	int header_done;		/* XML header printed */
};

/* Parses a conntrack -o list ("extended,id,xml,...") into f. Returns 0, or
 * -1 after reporting the first unknown word. */
int ct_fmt_parse(struct ct_fmt *f, const char *list);

/* Refuses, as conntrack 1.4.7 does, -o save with any word but userspace
 * (the words of every -o given: call it once they are all parsed). Returns
 * 0, or -1 (reported with conntrack's words). */
int ct_fmt_check(const struct ct_fmt *f);

/* Loads what the options need (the label map). Returns 0 or -1 (reported). */
int ct_fmt_open(struct ct_fmt *f);

/* Prints one event line as conntrack -E did, with its receive-time prefix
 * (-o timestamp) and userspace suffix. Returns 0, or -1 when the stored event
 * cannot be formatted (reported). */
int ct_fmt_event(struct ct_fmt *f, const struct ct_event *ev, FILE *out);

struct nf_conntrack;

/* Fills ct (new, empty) with the attributes of ev exactly as
 * nfct_nlmsg_parse(ct_encode(ev)) would, faster. Returns 0, or -1 when the
 * library cannot parse them. */
int ct_fmt_build(const struct ct_event *ev, struct nf_conntrack *ct);

/* What ct_fmt_library_line() returns when it writes no line. */
enum { CT_FMT_UNBUILT = -1, CT_FMT_UNFORMATTED = -2 };

/* Writes into line (1024 bytes) the line libnetfilter_conntrack formats for
 * ev: text, or XML when xml is non-zero, with NFCT_OF_* flags, cut at 1023
 * bytes as conntrack cuts it; with NFCT_OF_TIME (XML) the <when> is ev's
 * receive time. This is what replay prints for the events that ct_text.c
 * and ct_xml.c do not write themselves, and what their tests compare them
 * with. Returns the line's length, CT_FMT_UNBUILT when ev has an unknown
 * type or the library cannot parse its attributes, or CT_FMT_UNFORMATTED
 * when the library cannot format it. Reports nothing. */
int ct_fmt_library_line(const struct ct_event *ev, unsigned int flags, int xml,
			struct nfct_labelmap *labelmap, char *line);

/* Ends the output as conntrack -E did on SIGINT (the XML closing tag) and frees f's resources. */
void ct_fmt_close(struct ct_fmt *f, FILE *out);

#endif
