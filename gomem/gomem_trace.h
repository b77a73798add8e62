/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gomem's tracepoints, with the fields of kmem:kmalloc and kmem:kfree, so
 * that a script written for those works on gomem:gomem_alloc and
 * gomem:gomem_free by changing the event's name. Off, each is a static-key
 * nop - better: a probe's registration (gomem_trace_reg()) turns on the
 * static key the entry points test anyway for debug mode, so with no probe
 * they cost nothing; bytes_alloc is looked up only when the event is on.
 * Defined in malloc.c (CREATE_TRACE_POINTS), the one file that fires them.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM gomem

#if !defined(_GOMEM_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _GOMEM_TRACE_H

#include <linux/tracepoint.h>
#include <trace/events/mmflags.h>

TRACE_EVENT_FN(gomem_alloc,
	       TP_PROTO(unsigned long call_site, const void *ptr, size_t bytes_req,
			gfp_t gfp_flags, int node),
	       TP_ARGS(call_site, ptr, bytes_req, gfp_flags, node),
	       TP_STRUCT__entry(__field(unsigned long, call_site)
				__field(const void *, ptr)
				__field(size_t, bytes_req)
				__field(size_t, bytes_alloc)
				__field(unsigned long, gfp_flags)
				__field(int, node)),
	       TP_fast_assign(__entry->call_site = call_site;
			      __entry->ptr = ptr;
			      __entry->bytes_req = bytes_req;
			      __entry->bytes_alloc = gomem_usable_size_at(ptr, _RET_IP_);
			      __entry->gfp_flags = (__force unsigned long)gfp_flags;
			      __entry->node = node;),
	       TP_printk("call_site=%pS ptr=%p bytes_req=%zu bytes_alloc=%zu gfp_flags=%s node=%d",
			 (void *)__entry->call_site, __entry->ptr, __entry->bytes_req,
			 __entry->bytes_alloc, show_gfp_flags(__entry->gfp_flags), __entry->node),
	       gomem_trace_reg, gomem_trace_unreg
);

TRACE_EVENT_FN(gomem_free,
	       TP_PROTO(unsigned long call_site, const void *ptr),
	       TP_ARGS(call_site, ptr),
	       TP_STRUCT__entry(__field(unsigned long, call_site)
				__field(const void *, ptr)),
	       TP_fast_assign(__entry->call_site = call_site;
			      __entry->ptr = ptr;),
	       TP_printk("call_site=%pS ptr=%p", (void *)__entry->call_site, __entry->ptr),
	       gomem_trace_reg, gomem_trace_unreg
);

#endif /* _GOMEM_TRACE_H */

/* This part must be outside the include guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE gomem_trace
#include <trace/define_trace.h>
