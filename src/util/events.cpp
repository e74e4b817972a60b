#include "mipp/util/events.h"

namespace mipp::util {

EventSink& null_sink() {
  static EventSink sink;
  return sink;
}

}  // namespace mipp::util
