"""Data-parallel training across processes, on MPI (``pip install ndengine[dist]``).

    mpiexec -n 2 python train.py        # each process is one rank

    from ndengine import distributed as dist
    dist.rank(), dist.size()            # this process's rank, the number of ranks
    dist.allreduce([g])                 # engine op: the sum over the ranks (new arrays)
    dist.broadcast([w], root=0)
    dist.barrier()

Most code uses it through ``kvstore.create('dist_sync')`` and
``gluon.Trainer(..., kvstore='dist_sync')``.  mpi4py is imported on first use only; a
process started without ``mpiexec`` is a world of size 1.  See :mod:`.comm` for how
collectives run as engine ops, :mod:`.world` for failures and exit, and
docs/distributed.md.
"""
from .world import INSTALL_HINT, DistError, DistTimeout, mpi_available, timeout, world

__all__ = ["DistError", "DistTimeout", "INSTALL_HINT", "rank", "size", "host", "world",
           "mpi_available", "timeout", "allreduce", "broadcast", "barrier"]


def rank() -> int:
    """This process's rank (0 without mpiexec)."""
    return world().rank


def size() -> int:
    """The number of ranks (1 without mpiexec)."""
    return world().size


def host() -> str:
    return world().host


def allreduce(arrays, outs=None, keys=None, priority=0):
    """See :func:`.comm.allreduce`."""
    from .comm import allreduce as _allreduce

    return _allreduce(arrays, outs, keys, priority)


def broadcast(arrays, outs=None, root=0, keys=None, priority=0):
    """See :func:`.comm.broadcast`."""
    from .comm import broadcast as _broadcast

    return _broadcast(arrays, outs, root, keys, priority)


def barrier() -> None:
    """See :func:`.comm.barrier`."""
    from .comm import barrier as _barrier

    _barrier()
