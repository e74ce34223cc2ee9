// Numbered schema migrations. Migration N takes the schema from version N-1 to N; the
// store records its version and refuses a database newer than this binary knows.
#pragma once

#include "securemark/status.h"
#include "sqlite.h"

namespace securemark::store {

int LatestSchemaVersion();

// Brings the database to the latest version, one transaction per migration.
Status Migrate(Database& db);

}  // namespace securemark::store
