#define BOOST_TEST_MODULE ezapi_unit
#include <boost/test/unit_test.hpp>
