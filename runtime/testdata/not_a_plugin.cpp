// An ordinary shared library: discovery must skip it with a reason.
extern "C" int not_a_plugin_answer() { return 42; }
