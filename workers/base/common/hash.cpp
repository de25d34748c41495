#include "common/hash.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

namespace ez {

std::string sha256_hex(const std::string& data) {
  Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
  engine.update(data);
  return Poco::DigestEngine::digestToHex(engine.digest());
}

}  // namespace ez
