/* Prints events exactly as `conntrack -E` printed them, through the same library formatter. */
#ifndef CT_FORMAT_H
#define CT_FORMAT_H

#include <stdio.h>
#include "ct_event.h"

struct nfct_labelmap;

/* Output options, as conntrack's -o list. */
struct ct_fmt {
	unsigned xml:1, extended:1, id:1, ktimestamp:1, timestamp:1, labels:1;
	unsigned pretty:1;		/* with xml: the documented, indented layout */
	struct nfct_labelmap *labelmap;	/* with labels: conntrack's label map */
	int header_done;		/* XML header printed */
};

/* Parses a conntrack -o list ("extended,id,xml,...") into f. Returns 0, or
 * -1 after reporting the first unknown word. */
int ct_fmt_parse(struct ct_fmt *f, const char *list);

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

/* Ends the output as conntrack -E did on SIGINT (the XML closing tag) and frees f's resources. */
void ct_fmt_close(struct ct_fmt *f, FILE *out);

#endif
