// Registers example.label_count; the node is in label_count.h, so that its unit test
// (label_count_test.cpp) can run it without a plugin library.
#include "label_count.h"

SECUREMARK_PLUGIN(example::LabelCount, example, label_count)
