#ifndef LOCKSTEP_CMPI_SHIM_H
#define LOCKSTEP_CMPI_SHIM_H
/* Open MPI defines its handles as macros over addresses of global objects, which Swift cannot
 * import; these getters give them to Swift. */
#include <mpi.h>

static inline MPI_Comm lockstep_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype lockstep_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype lockstep_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype lockstep_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype lockstep_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype lockstep_mpi_uint16(void) { return MPI_UINT16_T; }
static inline MPI_Op lockstep_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op lockstep_mpi_max(void) { return MPI_MAX; }
static inline MPI_Op lockstep_mpi_min(void) { return MPI_MIN; }
static inline void *lockstep_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Request lockstep_mpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline MPI_Status *lockstep_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Status *lockstep_mpi_statuses_ignore(void) { return MPI_STATUSES_IGNORE; }
static inline int lockstep_mpi_success(void) { return MPI_SUCCESS; }
static inline int lockstep_mpi_thread_funneled(void) { return MPI_THREAD_FUNNELED; }
static inline int lockstep_mpi_max_processor_name(void) { return MPI_MAX_PROCESSOR_NAME; }
static inline int lockstep_mpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
static inline int lockstep_mpi_max_library_version_string(void) { return MPI_MAX_LIBRARY_VERSION_STRING; }
static inline MPI_Errhandler lockstep_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
#endif
