// Sequence filters (filters_seq.cpp), registered in filters.cpp.
#pragma once
#include "tokenizer/chat/builtins.h"

namespace mistralrs::chat {

Value f_length(Interpreter& in, const Value& v, const CallArgs& a);
Value f_join(Interpreter& in, const Value& v, const CallArgs& a);
Value f_first(Interpreter& in, const Value& v, const CallArgs& a);
Value f_last(Interpreter& in, const Value& v, const CallArgs& a);
Value f_items(Interpreter& in, const Value& v, const CallArgs& a);
Value f_list(Interpreter& in, const Value& v, const CallArgs& a);
Value f_map(Interpreter& in, const Value& v, const CallArgs& a);
Value f_select(Interpreter& in, const Value& v, const CallArgs& a);
Value f_reject(Interpreter& in, const Value& v, const CallArgs& a);
Value f_selectattr(Interpreter& in, const Value& v, const CallArgs& a);
Value f_rejectattr(Interpreter& in, const Value& v, const CallArgs& a);
Value f_unique(Interpreter& in, const Value& v, const CallArgs& a);
Value f_sort(Interpreter& in, const Value& v, const CallArgs& a);
Value f_reverse(Interpreter& in, const Value& v, const CallArgs& a);
Value f_batch(Interpreter& in, const Value& v, const CallArgs& a);
Value f_dictsort(Interpreter& in, const Value& v, const CallArgs& a);
Value f_min(Interpreter& in, const Value& v, const CallArgs& a);
Value f_max(Interpreter& in, const Value& v, const CallArgs& a);
Value f_sum(Interpreter& in, const Value& v, const CallArgs& a);
Value f_attr(Interpreter& in, const Value& v, const CallArgs& a);

}  // namespace mistralrs::chat
