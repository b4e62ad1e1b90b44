// SPDX-License-Identifier: GPL-2.0
//
// memalloc.h - memalloc_noio/nofs scopes as RAII (seed 004).
//
// Inside a NoioScope every allocation of the task, including those made by
// kernel APIs that take no gfp (vmap's vm_struct, vmap_area and page
// tables), loses __GFP_IO and __GFP_FS.  Scopes nest: the destructor
// restores exactly the state the constructor saw.  ScopeFor(ctx) opens the
// scope matching an AllocCtx, so that a GFP_NOFS caller's constraint
// reaches code that cannot be given a gfp.
#pragma once

#include "gfp.h"

namespace pcp {

class NoioScope {
public:
	NoioScope() : cookie_(pcpu_noio_save()) {}
	~NoioScope() { pcpu_noio_restore(cookie_); }
	PCPU_NO_COPY_NO_MOVE(NoioScope);

private:
	unsigned int cookie_;
};

class NofsScope {
public:
	NofsScope() : cookie_(pcpu_nofs_save()) {}
	~NofsScope() { pcpu_nofs_restore(cookie_); }
	PCPU_NO_COPY_NO_MOVE(NofsScope);

private:
	unsigned int cookie_;
};

// The scope that makes GFP_KERNEL-internal kernel code behave as @g allows.
class ScopeFor {
public:
	explicit ScopeFor(Gfp g) : kind_(g.may_io() ? (g.may_fs() ? none : nofs) : noio)
	{
		if (kind_ == noio)
			cookie_ = pcpu_noio_save();
		else if (kind_ == nofs)
			cookie_ = pcpu_nofs_save();
	}
	~ScopeFor()
	{
		if (kind_ == noio)
			pcpu_noio_restore(cookie_);
		else if (kind_ == nofs)
			pcpu_nofs_restore(cookie_);
	}
	PCPU_NO_COPY_NO_MOVE(ScopeFor);

private:
	enum Kind { none, nofs, noio } kind_;
	unsigned int cookie_ = 0;
};

} // namespace pcp
