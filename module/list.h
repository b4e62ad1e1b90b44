// SPDX-License-Identifier: GPL-2.0
//
// list.h - an intrusive doubly linked list: linking never allocates, so
// list operations are safe under spinlocks and in atomic context.  The
// owner's lock protects a list and every node on it.
#pragma once

#include "types.h"

namespace pcp {

struct ListNode {
	ListNode* prev = this;
	ListNode* next = this;

	bool linked() const { return next != this; }
	void unlink()
	{
		prev->next = next;
		next->prev = prev;
		prev = next = this;
	}
};

// T embeds a ListNode member `Node`.
template <typename T, ListNode T::*Node>
class List {
public:
	List() = default;
	PCPU_NO_COPY_NO_MOVE(List);

	bool empty() const { return !head_.linked(); }
	void push_back(T* t) { insert_before(&head_, &(t->*Node)); }
	void push_front(T* t) { insert_before(head_.next, &(t->*Node)); }
	static void remove(T* t) { (t->*Node).unlink(); }
	T* front() const { return empty() ? nullptr : from(head_.next); }
	T* next(T* t) const
	{
		ListNode* n = (t->*Node).next;
		return n == &head_ ? nullptr : from(n);
	}
	u32 size() const
	{
		u32 n = 0;
		for (ListNode* i = head_.next; i != &head_; i = i->next)
			n++;
		return n;
	}

private:
	static void insert_before(ListNode* pos, ListNode* n)
	{
		n->next = pos;
		n->prev = pos->prev;
		pos->prev->next = n;
		pos->prev = n;
	}
	static T* from(ListNode* n)
	{
		// offsetof for a pointer-to-member, without <cstddef>: member
		// address arithmetic on a never-dereferenced probe address.
		constexpr uptr kProbe = 4096;
		T* probe = reinterpret_cast<T*>(kProbe);
		uptr off = reinterpret_cast<uptr>(&(probe->*Node)) - kProbe;
		return reinterpret_cast<T*>(reinterpret_cast<uptr>(n) - off);
	}

	ListNode head_;
};

} // namespace pcp
