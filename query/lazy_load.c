/* Loads a shared library and the functions ctquery forwards to, at the first use of one of them. */
#include <dlfcn.h>

#include "lazy_load.h"
#include "log.h"

int lazy_load(const char *soname, const char *what, const char *const *names, void **slots,
	      size_t n)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	size_t i;

	if (!h) {
		log_error("cannot load %s (%s): %s", soname, what, dlerror());
		return -1;
	}
	for (i = 0; i < n; i++)
		if (!(slots[i] = dlsym(h, names[i]))) {
			log_error("%s lacks %s", soname, names[i]);
			return -1;
		}
	return 1;
}
