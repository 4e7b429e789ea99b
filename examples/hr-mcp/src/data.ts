/**
 * The demo's HR records, in memory. People are linked to Mandate users by email when the server
 * starts (the token carries the user id, `sub`; the HR system knows its staff by email).
 */
export interface Employee {
  id: string;
  name: string;
  email: string;
  phone: string;
  title: string;
  status: 'active' | 'on_leave' | 'terminated';
  salary: number;
  address: { street: string; city: string };
  /** Employee id of the manager. */
  managerId: string | null;
  /** HR groups (Cedar: Mandate::Group parents of the user). */
  groups: string[];
}

export function demoEmployees(): Employee[] {
  return [
    { id: 'e-alice', name: 'Alice Example', email: 'alice@example.com', phone: '+1 555 0100', title: 'HR Director', status: 'active', salary: 185_000, address: { street: '1 Main St', city: 'Springfield' }, managerId: null, groups: ['hr'] },
    { id: 'e-bob', name: 'Bob Example', email: 'bob@example.com', phone: '+1 555 0101', title: 'Sales Manager', status: 'active', salary: 150_000, address: { street: '2 Oak Ave', city: 'Springfield' }, managerId: 'e-alice', groups: ['sales'] },
    { id: 'e-carol', name: 'Carol Jones', email: 'carol@example.com', phone: '+1 555 0102', title: 'Account Executive', status: 'active', salary: 98_000, address: { street: '3 Elm Rd', city: 'Shelbyville' }, managerId: 'e-bob', groups: ['sales'] },
    { id: 'e-dan', name: 'Dan Smith', email: 'dan@example.com', phone: '+1 555 0103', title: 'Sales Engineer', status: 'on_leave', salary: 112_000, address: { street: '4 Pine Ln', city: 'Capital City' }, managerId: 'e-bob', groups: ['sales'] },
    { id: 'e-erin', name: 'Erin Lee', email: 'erin@example.com', phone: '+1 555 0104', title: 'HR Partner', status: 'active', salary: 105_000, address: { street: '5 Birch Ct', city: 'Springfield' }, managerId: 'e-alice', groups: ['hr'] },
  ];
}

export class EmployeeStore {
  private readonly byId = new Map<string, Employee>();
  /** Mandate user id -> employee id. */
  private readonly userToEmployee = new Map<string, string>();

  constructor(employees: Employee[], users: Record<string, string> = {}) {
    for (const e of employees) this.byId.set(e.id, e);
    // users: email -> Mandate user id
    for (const e of employees) {
      const userId = users[e.email];
      if (userId !== undefined) this.userToEmployee.set(userId, e.id);
    }
  }

  all(): Employee[] {
    return [...this.byId.values()];
  }

  get(id: string): Employee | undefined {
    return this.byId.get(id);
  }

  employeeOfUser(userId: string): Employee | undefined {
    const id = this.userToEmployee.get(userId);
    return id === undefined ? undefined : this.byId.get(id);
  }

  userOfEmployee(employeeId: string): string | undefined {
    for (const [user, emp] of this.userToEmployee) if (emp === employeeId) return user;
    return undefined;
  }

  setStatus(id: string, status: Employee['status']): Employee | undefined {
    const e = this.byId.get(id);
    if (e) e.status = status;
    return e;
  }

  delete(id: string): boolean {
    return this.byId.delete(id);
  }
}
