// libtimerbisect.so: the LD_PRELOAD shim. This file holds its lazy
// initialization; the interceptors live one file per API family.
namespace timerbisect::shim {}
